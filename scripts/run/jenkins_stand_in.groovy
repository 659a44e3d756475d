// A stand-in of Jenkins for `make ci-rehearsal`: runs a declarative Jenkinsfile's stages the
// way Jenkins does, with the steps the Jenkinsfile uses, each as its documentation says:
//
// - Pipeline Syntax (https://www.jenkins.io/doc/book/pipeline/syntax/): stages run in
//   order; a failing step fails its stage and the build, and later stages are skipped;
//   `when { expression {...} }` skips a stage; `matrix` runs one cell per axis value in
//   parallel, each with its own `agent` (own workspace) and the axis as an environment
//   variable; `post` conditions always, success, failure, unstable, unsuccessful (not
//   SUCCESS), cleanup; `environment` values are environment variables of every step.
// - `sh` (workflow-durable-task-step): the script runs with the node's environment plus the
//   pipeline's; a non-zero exit fails the step ("script returned exit code N").
// - `stash`/`unstash` (workflow-basic-steps): Ant-style includes/excludes relative to the
//   workspace, restored into another workspace.
// - `withCredentials` (credentials-binding-plugin): the bindings become environment
//   variables of the block; an id missing from the store throws
//   org.jenkinsci.plugins.credentialsbinding.impl.CredentialNotFoundException ("Could not
//   find credentials entry with ID '...'"), an AbortException (MultiBinding.java).
// - `robot` (robot-plugin 6.2.0, RobotStep.java): only the @DataBoundConstructor argument
//   and the @DataBoundSetter parameters (tests/publishing/fixtures/jenkins_robot_step.json);
//   the build result from RobotPublisher.getBuildResult: pass percentage (skipped tests left
//   out unless countSkippedTests) below unstableThreshold -> FAILURE, below passThreshold ->
//   UNSTABLE.
// - archiveArtifacts, timeout, buildDiscarder, disableConcurrentBuilds: recorded only.
//
// Usage: groovy jenkins_stand_in.groovy <config.json>
//   config: jenkinsfile, workspaceCommand (argv that prints a new workspace path; the agent
//   label is appended), stashDir, env (the node's environment), credentials (id -> binding),
//   robotStep (the parameter list), skipTargets (make targets not run: target -> reason),
//   stageEnv (stage name -> extra environment).
// Prints the log, then one line: JENKINS-RESULT {json}.

import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import java.nio.file.FileSystems
import java.nio.file.Files
import java.nio.file.Path
import java.nio.file.Paths
import java.nio.file.StandardCopyOption
import java.util.concurrent.Callable
import java.util.concurrent.Executors

config = new JsonSlurper().parse(new File(args[0]))

// The classes a Jenkinsfile may name, as their plugins define them.
loader = new GroovyClassLoader(this.class.classLoader)
loader.parseClass('''
package hudson
class AbortException extends IOException { AbortException(String m) { super(m) } }
''')
loader.parseClass('''
package org.jenkinsci.plugins.credentialsbinding.impl
class CredentialNotFoundException extends hudson.AbortException {
    CredentialNotFoundException(String m) { super(m) }
}
''')

class StepFailed extends RuntimeException {
    StepFailed(String m) { super(m) }
}

class Ctx {
    String workspace
    Map<String, String> env = [:]
    String stage = ''
}

class EnvCollector {
    Map<String, String> values = [:]
    Object script

    def propertyMissing(String name, value) {
        values[name] = value?.toString()
    }

    def propertyMissing(String name) {
        return script."$name"
    }
}

class EnvProxy {
    def propertyMissing(String name) {
        return JenkinsScript.CTX.get().env[name]
    }

    def propertyMissing(String name, value) {
        JenkinsScript.CTX.get().env[name] = value?.toString()
    }
}

class Node {
    String kind
    String name
    Closure body
    Map<String, Object> parts = [:]
    List<Node> children = []
}

abstract class JenkinsScript extends Script {
    static Map config
    static GroovyClassLoader loader
    static final ThreadLocal<Ctx> CTX = new ThreadLocal<Ctx>()
    static Node pipelineNode
    static List<Node> building = []
    static String result = 'SUCCESS'
    static Map<String, String> stageResults = Collections.synchronizedMap(new LinkedHashMap())
    static List<Map> robotReports = Collections.synchronizedList([])
    static List<String> log = Collections.synchronizedList([])
    static Map params = [:]

    static void say(String line) {
        synchronized (JenkinsScript) {
            println(line)
        }
    }

    // -- environment --------------------------------------------------------------------
    // Environment variables are also bare names in a Jenkinsfile (`"shard-${SHARD}"`).
    def propertyMissing(String name) {
        def value = CTX.get()?.env?.get(name)
        if (value != null) {
            return value
        }
        throw new MissingPropertyException(name, getClass())
    }

    Object getEnv() {
        return new EnvProxy()
    }

    Object getParams() {
        return params
    }

    // -- declarative structure ----------------------------------------------------------
    void pipeline(Closure body) {
        pipelineNode = new Node(kind: 'pipeline')
        building = [pipelineNode]
        body.delegate = this
        body.resolveStrategy = Closure.DELEGATE_FIRST
        body()
    }

    private Node current() {
        return building[-1]
    }

    private void within(Node node, Closure body) {
        current().children << node
        building << node
        try {
            body.delegate = this
            body.resolveStrategy = Closure.DELEGATE_FIRST
            body()
        } finally {
            building.remove(building.size() - 1)
        }
    }

    void agent(Closure body) {
        current().parts.agent = true
    }

    void label(String name) {
    }

    void options(Closure body) {
        current().parts.options = body
    }

    void timeout(Map args) {
    }

    def buildDiscarder(Object any) {
    }

    def logRotator(Map args) {
        return args
    }

    void disableConcurrentBuilds(Map args = [:]) {
    }

    void parameters(Closure body) {
        def previous = current().parts.collectingParameters
        current().parts.collectingParameters = true
        body.delegate = this
        body()
        current().parts.collectingParameters = previous
    }

    def string(Map args) {
        if (args.containsKey('credentialsId')) {
            return [type: 'string', id: args.credentialsId, variable: args.variable]
        }
        if (!params.containsKey(args.name)) {
            params[args.name] = args.defaultValue ?: ''
        }
        return null
    }

    def usernamePassword(Map args) {
        return [type: 'usernamePassword', id: args.credentialsId,
                usernameVariable: args.usernameVariable, passwordVariable: args.passwordVariable]
    }

    void environment(Closure body) {
        current().parts.environment = body
    }

    void stages(Closure body) {
        within(new Node(kind: 'stages'), body)
    }

    void stage(String name, Closure body) {
        within(new Node(kind: 'stage', name: name), body)
    }

    void steps(Closure body) {
        current().parts.steps = body
    }

    void when(Closure body) {
        current().parts.when = body
    }

    void matrix(Closure body) {
        within(new Node(kind: 'matrix'), body)
    }

    void axes(Closure body) {
        body.delegate = this
        body()
    }

    void axis(Closure body) {
        def axis = [:]
        current().parts.axes = (current().parts.axes ?: []) + [axis]
        current().parts.currentAxis = axis
        body.delegate = this
        body()
    }

    void name(String value) {
        current().parts.currentAxis.name = value
    }

    void values(String... values) {
        current().parts.currentAxis.values = values as List
    }

    void post(Closure body) {
        within(new Node(kind: 'post'), body)
    }

    void always(Closure body) { current().parts.always = body }
    void success(Closure body) { current().parts.success = body }
    void failure(Closure body) { current().parts.failure = body }
    void unstable(Closure body) { current().parts.unstable = body }
    void unsuccessful(Closure body) { current().parts.unsuccessful = body }
    void cleanup(Closure body) { current().parts.cleanup = body }

    // `when { expression { ... } }`: the expression's value.
    boolean expression(Closure body) {
        body.delegate = this
        return body() as boolean
    }

    // -- steps ----------------------------------------------------------------------------
    void echo(String message) {
        say("[${CTX.get().stage}] ${message}")
    }

    def script(Closure body) {
        body.delegate = this
        return body()
    }

    void error(String message) {
        throw new StepFailed(message)
    }

    void sh(String script) {
        Ctx ctx = CTX.get()
        String command = script.trim()
        def make = command =~ /^make\s+([A-Za-z0-9_.-]+)/
        if (make.find() && config.skipTargets?.containsKey(make.group(1))) {
            say("[${ctx.stage}] + ${command}\n[${ctx.stage}]   skipped: ${config.skipTargets[make.group(1)]}")
            return
        }
        say("[${ctx.stage}] + ${command.replaceAll(/\s*\\\n\s*/, ' ')}")
        File file = File.createTempFile('jenkins-sh', '.sh')
        file.text = script
        def builder = new ProcessBuilder(['sh', '-xe', file.path])
        builder.directory(new File(ctx.workspace))
        builder.redirectErrorStream(true)
        def environment = builder.environment()
        environment.clear()
        environment.putAll(ctx.env.findAll { k, v -> v != null })
        def process = builder.start()
        process.inputStream.eachLine { line -> say("[${ctx.stage}]   ${line}") }
        int code = process.waitFor()
        file.delete()
        if (code != 0) {
            throw new StepFailed("script returned exit code ${code}")
        }
    }

    private static List<Path> matching(Path root, String includes, String excludes) {
        def fs = FileSystems.getDefault()
        def inc = includes.split(',').collect { fs.getPathMatcher("glob:${it.trim()}") }
        def exc = (excludes ?: '').split(',').findAll { it.trim() }.collect {
            fs.getPathMatcher("glob:${it.trim()}")
        }
        def found = []
        if (!Files.exists(root)) {
            return found
        }
        def stream = Files.walk(root)
        try {
            stream.iterator().each { Path path ->
                Path rel = root.relativize(path)
                if (Files.isRegularFile(path) && inc.any { it.matches(rel) } && !exc.any { it.matches(rel) }) {
                    found << rel
                }
            }
        } finally {
            stream.close()
        }
        return found
    }

    void stash(Map args) {
        Ctx ctx = CTX.get()
        Path root = Paths.get(ctx.workspace)
        Path store = Paths.get(config.stashDir, args.name as String)
        def files = matching(root, args.includes as String ?: '**', args.excludes as String)
        if (files.isEmpty() && !args.allowEmpty) {
            throw new StepFailed("No files included in stash '${args.name}'")
        }
        files.each { Path rel ->
            Path target = store.resolve(rel.toString())
            Files.createDirectories(target.parent)
            Files.copy(root.resolve(rel), target, StandardCopyOption.REPLACE_EXISTING)
        }
        say("[${ctx.stage}] Stashed ${files.size()} file(s) as '${args.name}'")
    }

    void unstash(String name) {
        Ctx ctx = CTX.get()
        Path store = Paths.get(config.stashDir, name)
        if (!Files.isDirectory(store)) {
            throw new StepFailed("No such saved stash '${name}'")
        }
        def files = matching(store, '**', null)
        files.each { Path rel ->
            Path target = Paths.get(ctx.workspace).resolve(rel.toString())
            Files.createDirectories(target.parent)
            Files.copy(store.resolve(rel), target, StandardCopyOption.REPLACE_EXISTING)
        }
        say("[${ctx.stage}] Unstashed ${files.size()} file(s) of '${name}'")
    }

    void withCredentials(List bindings, Closure body) {
        Ctx ctx = CTX.get()
        Map<String, String> added = [:]
        bindings.each { binding ->
            def stored = config.credentials?.get(binding.id)
            if (stored == null) {
                def missing = loader.loadClass(
                    'org.jenkinsci.plugins.credentialsbinding.impl.CredentialNotFoundException')
                throw missing.newInstance("Could not find credentials entry with ID '${binding.id}'")
            }
            if (binding.type == 'string') {
                added[binding.variable] = stored.secret
            } else {
                added[binding.usernameVariable] = stored.username
                added[binding.passwordVariable] = stored.password
            }
        }
        Map<String, String> saved = new LinkedHashMap(ctx.env)
        ctx.env.putAll(added)
        say("[${ctx.stage}] Masking supported pattern matches of ${added.keySet().collect { '$' + it }.join(' or ')}")
        try {
            body.delegate = this
            body()
        } finally {
            ctx.env.clear()
            ctx.env.putAll(saved)
        }
    }

    void archiveArtifacts(Map args) {
        Ctx ctx = CTX.get()
        def files = matching(Paths.get(ctx.workspace), args.artifacts as String, args.excludes as String)
        say("[${ctx.stage}] Archiving ${files.size()} artifact(s)")
    }

    void robot(Map args) {
        Ctx ctx = CTX.get()
        def allowed = (config.robotStep.constructor.keySet() + config.robotStep.setters.keySet()) as Set
        def unknown = args.keySet().findAll { !(it in allowed) }
        if (unknown) {
            throw new StepFailed("Invalid parameter \"${unknown[0]}\" of step robot (robot-plugin " +
                "${config.robotStep.version} takes ${allowed.sort().join(', ')})")
        }
        if (!args.outputPath) {
            throw new StepFailed('robot: outputPath is required')
        }
        File output = new File(ctx.workspace, "${args.outputPath}/${args.outputFileName ?: 'output.xml'}")
        if (!output.isFile()) {
            say("[${ctx.stage}] robot: no ${output.name} in ${args.outputPath}")
            result = 'FAILURE'
            robotReports << [found: false]
            return
        }
        def xml = new XmlSlurper().parse(output)
        def total = xml.statistics.total.stat[0]
        long pass = total.@pass.toLong()
        long fail = total.@fail.toLong()
        long skip = (total.@skip.text() ?: '0').toLong()
        long counted = pass + fail + (args.countSkippedTests ? skip : 0)
        double percent = counted == 0 ? 100.0 : Math.round(pass * 1000.0 / counted) / 10.0
        String verdict = 'SUCCESS'
        if (percent < (args.unstableThreshold ?: 0.0)) {
            verdict = 'FAILURE'
        } else if (percent < (args.passThreshold ?: 0.0)) {
            verdict = 'UNSTABLE'
        }
        say("[${ctx.stage}] robot: ${pass} passed, ${fail} failed, ${skip} skipped: ${percent}% -> ${verdict}")
        robotReports << [found: true, pass: pass, fail: fail, skip: skip, percent: percent, result: verdict]
        if (result != 'FAILURE' && verdict != 'SUCCESS') {
            result = verdict
        }
    }
}

JenkinsScript.config = config
JenkinsScript.loader = loader
def compiler = new org.codehaus.groovy.control.CompilerConfiguration()
compiler.scriptBaseClass = JenkinsScript.name
def shell = new GroovyShell(loader, new Binding(), compiler)
def script = shell.parse(new File(config.jenkinsfile as String))

String newWorkspace(String label) {
    def argv = (config.workspaceCommand as List) + [label]
    def process = new ProcessBuilder(argv as List<String>).redirectErrorStream(false).start()
    def out = process.inputStream.text.trim()
    def err = process.errorStream.text
    if (process.waitFor() != 0) {
        throw new StepFailed("could not prepare a workspace: ${err.trim()}")
    }
    return out.readLines()[-1]
}

Map<String, String> baseEnv(String workspace) {
    def env = new LinkedHashMap<String, String>(config.env as Map)
    env.WORKSPACE = workspace
    return env
}

void applyEnvironment(Node pipeline, Ctx ctx, JenkinsScript script) {
    Closure body = pipeline.parts.environment
    if (body) {
        def collector = new EnvCollector(script: script)
        body.delegate = collector
        body.resolveStrategy = Closure.DELEGATE_FIRST
        body()
        ctx.env.putAll(collector.values)
    }
    ctx.env.putAll(config.stageEnv?.get(ctx.stage) ?: [:])
}

boolean runSteps(Node stage, Ctx ctx, JenkinsScript script) {
    Closure body = stage.parts.steps
    body.delegate = script
    body.resolveStrategy = Closure.DELEGATE_FIRST
    body()
    return true
}

void runStage(Node stage, Ctx parentCtx, JenkinsScript script, Node pipeline) {
    String name = stage.name
    if (JenkinsScript.result == 'FAILURE') {
        JenkinsScript.stageResults[name] = 'skipped (an earlier stage failed)'
        JenkinsScript.say("[${name}] Stage \"${name}\" skipped due to earlier failure(s)")
        return
    }
    Ctx ctx = new Ctx(workspace: parentCtx.workspace, env: new LinkedHashMap(parentCtx.env), stage: name)
    JenkinsScript.CTX.set(ctx)
    applyEnvironment(pipeline, ctx, script)
    if (stage.parts.when) {
        Closure when = stage.parts.when
        when.delegate = script
        when.resolveStrategy = Closure.DELEGATE_FIRST
        if (!(when() as boolean)) {
            JenkinsScript.stageResults[name] = 'skipped (when)'
            JenkinsScript.say("[${name}] Stage \"${name}\" skipped due to when conditional")
            JenkinsScript.CTX.set(parentCtx)
            return
        }
    }
    Node matrix = stage.children.find { it.kind == 'matrix' }
    long started = System.currentTimeMillis()
    try {
        if (matrix) {
            runMatrix(name, matrix, ctx, script, pipeline)
        } else {
            runSteps(stage, ctx, script)
        }
        JenkinsScript.stageResults[name] = "success (${(System.currentTimeMillis() - started) / 1000} s)"
    } catch (Throwable failure) {
        JenkinsScript.result = 'FAILURE'
        JenkinsScript.stageResults[name] = "failed: ${failure.message}"
        JenkinsScript.say("[${name}] ERROR: ${failure.message}")
    } finally {
        JenkinsScript.CTX.set(parentCtx)
    }
}

void runMatrix(String name, Node matrix, Ctx ctx, JenkinsScript script, Node pipeline) {
    def axis = matrix.parts.axes[0]
    Node inner = matrix.children.find { it.kind == 'stages' }
    def pool = Executors.newFixedThreadPool(axis.values.size())
    def futures = axis.values.collect { value ->
        pool.submit({
            String cell = "${name} (${axis.name} = '${value}')"
            String workspace = matrix.parts.agent ? newWorkspace("${axis.name}-${value}") : ctx.workspace
            Ctx cellCtx = new Ctx(workspace: workspace, env: baseEnv(workspace), stage: cell)
            cellCtx.env.putAll(ctx.env.findAll { k, v -> k != 'WORKSPACE' })
            cellCtx.env[axis.name as String] = value as String
            JenkinsScript.CTX.set(cellCtx)
            try {
                inner.children.each { Node stage ->
                    cellCtx.stage = "${cell} ${stage.name}"
                    runSteps(stage, cellCtx, script)
                }
                return null
            } catch (Throwable failure) {
                return "${cell}: ${failure.message}"
            }
        } as Callable)
    }
    def failed = futures.collect { it.get() }.findAll { it != null }
    pool.shutdown()
    if (failed) {
        throw new StepFailed(failed.join('; '))
    }
}

void runPost(Node post, Ctx ctx, JenkinsScript script) {
    if (!post) {
        return
    }
    // Jenkins' order; each condition is checked when its turn comes, so a result the robot
    // step sets in `always` decides `unstable` and `unsuccessful`.
    def wanted = [
        always: { true }, failure: { JenkinsScript.result == 'FAILURE' },
        success: { JenkinsScript.result == 'SUCCESS' }, unstable: { JenkinsScript.result == 'UNSTABLE' },
        unsuccessful: { JenkinsScript.result != 'SUCCESS' }, cleanup: { true },
    ]
    ['always', 'failure', 'success', 'unstable', 'unsuccessful', 'cleanup'].each { condition ->
        Closure body = post.parts[condition]
        if (body && wanted[condition]()) {
            ctx.stage = "post ${condition}"
            JenkinsScript.CTX.set(ctx)
            try {
                body.delegate = script
                body.resolveStrategy = Closure.DELEGATE_FIRST
                body()
                JenkinsScript.stageResults["post ${condition}"] = 'success'
            } catch (Throwable failure) {
                JenkinsScript.result = 'FAILURE'
                JenkinsScript.stageResults["post ${condition}"] = "failed: ${failure.message}"
                JenkinsScript.say("[post ${condition}] ERROR: ${failure.message}")
            }
        }
    }
}

script.run()
Node pipeline = JenkinsScript.pipelineNode
String workspace = newWorkspace('linux')
Ctx top = new Ctx(workspace: workspace, env: baseEnv(workspace), stage: 'pipeline')
JenkinsScript.CTX.set(top)
Node stages = pipeline.children.find { it.kind == 'stages' }
stages.children.each { Node stage -> runStage(stage, top, script, pipeline) }
Ctx postCtx = new Ctx(workspace: workspace, env: new LinkedHashMap(top.env), stage: 'post')
applyEnvironment(pipeline, postCtx, script)
runPost(pipeline.children.find { it.kind == 'post' }, postCtx, script)
println('JENKINS-RESULT ' + JsonOutput.toJson([
    result: JenkinsScript.result,
    stages: JenkinsScript.stageResults,
    robot: JenkinsScript.robotReports,
    workspace: workspace,
]))

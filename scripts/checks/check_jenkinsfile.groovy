// Parses a Jenkinsfile with Groovy's own parser (syntax only: no Jenkins, no plugins).
// Usage: groovy scripts/checks/check_jenkinsfile.groovy Jenkinsfile
import org.codehaus.groovy.control.CompilationFailedException
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.Phases

def path = args ? args[0] : 'Jenkinsfile'
def unit = new CompilationUnit()
unit.addSource(new File(path))
try {
    unit.compile(Phases.CONVERSION)
    println "jenkinsfile: ${path} parses as Groovy"
} catch (CompilationFailedException error) {
    def first = error.message.readLines().find { it.contains(path) || it.contains('@ line') }
    System.err.println "jenkinsfile: ${path} does not parse: ${first ?: error.message.readLines()[0]}"
    System.exit(1)
}

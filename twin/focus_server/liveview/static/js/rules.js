// The validation rules of POST /configure (contract section 2), applied in the browser.
// validate(values, now) returns {field: message} for every field in error; an empty
// object means the form may be submitted. The server applies the same rules.

export const SENSORS_RANGE = 2222;
export const FREQUENCY_MIN = 0;
export const FREQUENCY_MAX = 1000;
export const TIME_STATUSES = ["Live", "Historic"];
export const VIEW_TYPES = ["MultiChannel", "SingleChannel", "Waterfall", "ROI"];
const NFFT_RANGES = {
  SingleChannel: [128, 65536],
  MultiChannel: [128, 4096],
  Waterfall: [128, 4096],
  ROI: [128, 4096],
};
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$/;

const isBlank = (text) => text.trim() === "";
const integer = (text) => (/^-?\d+$/.test(text.trim()) ? Number(text) : null);
const number = (text) => (/^-?\d+(\.\d+)?$/.test(text.trim()) ? Number(text) : null);
const powerOfTwo = (value) => value > 0 && (value & (value - 1)) === 0;

function nfftRule(values, errors) {
  const nfft = integer(values.nfft);
  const [low, high] = NFFT_RANGES[values.viewType] || NFFT_RANGES.MultiChannel;
  if (isBlank(values.nfft)) errors.nfft = "nfft is required";
  else if (nfft === null) errors.nfft = "nfft must be a whole number";
  else if (!powerOfTwo(nfft)) errors.nfft = "nfft must be a power of two";
  else if (nfft < low || nfft > high) errors.nfft = `${values.viewType} needs nfft in ${low}..${high}`;
  if (isBlank(values.overlap)) return;
  const overlap = integer(values.overlap);
  if (overlap === null) errors.overlap = "overlap must be a whole number";
  else if (overlap < 0) errors.overlap = "overlap must be at least 0";
  else if (nfft !== null && overlap >= nfft) errors.overlap = "overlap must be less than nfft";
}

function channelRule(values, errors) {
  const low = integer(values["channels.min"]);
  const high = integer(values["channels.max"]);
  if (low === null) errors["channels.min"] = "channels from must be a whole number";
  else if (low < 1) errors["channels.min"] = "channels from must be at least 1";
  else if (low > SENSORS_RANGE) errors["channels.min"] = `channels from must be at most ${SENSORS_RANGE}`;
  if (high === null) errors["channels.max"] = "channels to must be a whole number";
  else if (high > SENSORS_RANGE) errors["channels.max"] = `channels to must be at most ${SENSORS_RANGE}`;
  else if (high < 1) errors["channels.max"] = "channels to must be at least 1";
  else if (low !== null && high < low) errors["channels.max"] = "channels to must not be below channels from";
  else if (values.viewType === "SingleChannel" && low !== null && low !== high)
    errors["channels.max"] = "SingleChannel needs channels from == channels to";
}

function frequencyRule(values, errors) {
  const low = number(values["frequencyRange.min"]);
  const high = number(values["frequencyRange.max"]);
  if (low === null) errors["frequencyRange.min"] = "frequency from must be a number";
  else if (low < FREQUENCY_MIN) errors["frequencyRange.min"] = `frequency from must be at least ${FREQUENCY_MIN}`;
  if (high === null) errors["frequencyRange.max"] = "frequency to must be a number";
  else if (high > FREQUENCY_MAX) errors["frequencyRange.max"] = `frequency to must be at most ${FREQUENCY_MAX}`;
  else if (low !== null && high <= low) errors["frequencyRange.max"] = "frequency to must be above frequency from";
}

function timeRule(values, errors, now) {
  const fields = ["startTime", "endTime"];
  if (values.timeStatus === "Live") {
    for (const field of fields)
      if (!isBlank(values[field])) errors[field] = `a Live task takes no ${field}`;
    return;
  }
  const moments = {};
  for (const field of fields) {
    const text = values[field].trim();
    if (text === "") errors[field] = `a Historic task needs ${field}`;
    else if (!ISO_UTC.test(text) || Number.isNaN(Date.parse(text)))
      errors[field] = `${field} must be ISO-8601 UTC, e.g. 2026-11-22T08:00:00Z`;
    else moments[field] = Date.parse(text);
  }
  if (moments.startTime === undefined || moments.endTime === undefined) return;
  if (moments.startTime >= moments.endTime) errors.startTime = "startTime must be before endTime";
  else if (moments.endTime > now) errors.endTime = "endTime must not be in the future";
}

export function validate(values, now = Date.now()) {
  const errors = {};
  if (!TIME_STATUSES.includes(values.timeStatus)) errors.timeStatus = "choose Live or Historic";
  if (!VIEW_TYPES.includes(values.viewType)) errors.viewType = "choose a view type";
  nfftRule(values, errors);
  channelRule(values, errors);
  frequencyRule(values, errors);
  timeRule(values, errors, now);
  return errors;
}

// The POST /configure body of valid form values.
export function toRequest(values) {
  const body = {
    timeStatus: values.timeStatus,
    viewType: values.viewType,
    nfft: Number(values.nfft),
    channels: { min: Number(values["channels.min"]), max: Number(values["channels.max"]) },
    frequencyRange: {
      min: Number(values["frequencyRange.min"]),
      max: Number(values["frequencyRange.max"]),
    },
    startTime: values.timeStatus === "Historic" ? values.startTime.trim() : null,
    endTime: values.timeStatus === "Historic" ? values.endTime.trim() : null,
  };
  if (!isBlank(values.overlap)) body.overlap = Number(values.overlap);
  return body;
}

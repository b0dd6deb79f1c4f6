// The screen size of a desktop application: "Fit my window" or a common size, always
// within the bounds the server gives in the configurable ({minimum, maximum} "WxH").

export const FIT = "fit";

/** Height of the bar above an application's frame, which the frame does not get. */
export const FRAME_BAR_HEIGHT = 52;

export const COMMON_SIZES = [
  "1024x768",
  "1280x720",
  "1280x800",
  "1366x768",
  "1440x900",
  "1600x900",
  "1920x1080",
  "2560x1440",
  "3840x2160",
];

// X servers and VNC encoders like sizes that are multiples of 8.
const STEP = 8;

export function parseSize(text) {
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(text ?? "");
  return match ? { width: Number(match[1]), height: Number(match[2]) } : null;
}

export const formatSize = ({ width, height }) => `${width}x${height}`;

const DEFAULT_BOUNDS = { minimum: "640x480", maximum: "7680x4320" };

function bounds(configurable) {
  return {
    min: parseSize(configurable?.minimum) ?? parseSize(DEFAULT_BOUNDS.minimum),
    max: parseSize(configurable?.maximum) ?? parseSize(DEFAULT_BOUNDS.maximum),
  };
}

const clamp = (value, low, high) => Math.min(Math.max(value, low), high);

/**
 * The size that fills the frame in a window of `viewport` ({width, height} in CSS
 * pixels): the window less the bar above the frame, rounded down to a multiple of 8,
 * kept within the configurable's bounds.
 */
export function fitResolution(viewport, configurable, reserved = FRAME_BAR_HEIGHT) {
  const { min, max } = bounds(configurable);
  const round = (value) => Math.floor(value / STEP) * STEP;
  return formatSize({
    width: clamp(round(viewport.width), min.width, max.width),
    height: clamp(round(viewport.height - reserved), min.height, max.height),
  });
}

export function withinBounds(size, configurable) {
  const parsed = parseSize(size);
  const { min, max } = bounds(configurable);
  return (
    parsed !== null &&
    parsed.width >= min.width &&
    parsed.width <= max.width &&
    parsed.height >= min.height &&
    parsed.height <= max.height
  );
}

/** The options of the resolution <select>: "fit" first, then the sizes allowed. */
export function resolutionOptions(configurable, viewport) {
  const fitted = fitResolution(viewport, configurable);
  return [
    { value: FIT, label: `Fit my window (${fitted.replace("x", " × ")})` },
    ...COMMON_SIZES.filter((size) => withinBounds(size, configurable)).map((size) => ({
      value: size,
      label: size.replace("x", " × "),
    })),
  ];
}

/** What to send for a choice of the <select>. */
export function resolveResolution(choice, configurable, viewport) {
  return choice === FIT ? fitResolution(viewport, configurable) : choice;
}

// The release version, stamped into the bundles by scripts/build.mjs from package.json. Unbundled
// runs (tests) report "dev".

declare const __MERIDIAN_VERSION__: string | undefined;

export const VERSION: string = typeof __MERIDIAN_VERSION__ === 'string' ? __MERIDIAN_VERSION__ : 'dev';

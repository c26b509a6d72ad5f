/** Bump whenever a change to the ears changes what they output: stored analyses with another version are redone. */
export const ANALYZER_VERSION = 'ears-1.4.0';

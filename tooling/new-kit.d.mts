/** `conan-v2` -> `conanV2`. */
export function camel(format: string): string;
/** Every file of a new kit, by path relative to its package directory. */
export function kitFiles(format: string, options?: { title?: string; toRoot?: string }): Record<string, string>;

// The lab's errors: LabInputError is bad arguments or manifests (exit 2), LabError a failure at run
// time (exit 1); src/cli/exit.ts maps them.

export class LabError extends Error {}

export class LabInputError extends LabError {}

// vitest runs this before every test file, in that file's own worker (vitest.config.ts
// setupFiles). A file in a kernel test folder (KERNEL_TEST_DIRS) is checked to leave the root
// namespace as it found it; the check's afterAll is registered before any of the file's own, so it
// runs after them, when the file's worlds are gone.

import { guardRootNamespace, isKernelTestFile } from './root-snapshot.js';

guardRootNamespace(isKernelTestFile);

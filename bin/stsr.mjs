#!/usr/bin/env node
// The `stsr` command. The CLI is TypeScript run through tsx, so `npx stsr` works right after
// `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
await import('../main/cli/index.ts');

/** Import once (CLI entry, app service, benchmarks) to add diffst to the benchmark registry. */
import { registerMethod } from '../../bench/registry';
import { diffstMethod } from './sr-method';

registerMethod(diffstMethod, { replace: true });

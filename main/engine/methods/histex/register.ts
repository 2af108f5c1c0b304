/** Import once (CLI entry, app service) to add histex and istar to the benchmark registry. */
import { registerMethod } from '../../bench/registry';
import { histexMethod, istarMethod } from './sr-method';

registerMethod(histexMethod, { replace: true });
registerMethod(istarMethod, { replace: true });

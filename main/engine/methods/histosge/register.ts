/** Import once (CLI entry, app service) to add histosge to the benchmark registry. */
import { registerMethod } from '../../bench/registry';
import { histosgeMethod } from './sr-method';

registerMethod(histosgeMethod, { replace: true });

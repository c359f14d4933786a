/** What bin/check-mysql loads from the bundle. */
export { main } from './main.js';
export { nodeDeps } from './node-deps.js';

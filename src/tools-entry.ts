/** What bin/check-mysql loads for the commands keepalived runs rarely: notify (and lint). */
export { lintMain } from './lint-entry.js';
export { notifyMain } from './notify/notify-main.js';
export { nodeDeps } from './node-deps.js';

/** What bin/check-mysql loads for the commands keepalived runs rarely: notify (and lint). */
export { notifyMain } from './notify/notify-main.js';
export { nodeDeps } from './node-deps.js';

export { DERMAGAN_VERSION as version } from '@dermagan/contracts';

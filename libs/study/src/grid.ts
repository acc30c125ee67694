/** Sample grids live with the dataset format (libs/dataset grid.ts); re-exported for the report. */
export { gridPng } from '@dermagan/dataset';

export { buildPrimary, type PrimaryDependencies } from './app';
export { PRIMARY_MIGRATIONS } from './migrations';

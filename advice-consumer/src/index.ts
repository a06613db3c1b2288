export { startAdviceConsumer } from './advice-consumer';
export { createPrimaryClient, type PrimaryClient, type ApplyResult } from './primary-client';

export { readAppEnvironment, type AppServerConfig } from './server/config';
export { createAppServer, WEB_ROOT } from './server/server';
export { createConsoleReader, counterTotal, type ConsoleSnapshot, type ConsoleReader } from './server/console-snapshot';
export { startDemoCustomers, type DemoCustomer, type DemoCustomers } from './server/demo-customers';

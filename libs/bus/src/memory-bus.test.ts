import { MemoryBroker } from './memory-broker.ts';
import { MemoryBus } from './memory-bus.ts';
import { busContractSuite } from './testing/contract-suite.ts';

// One cluster for the file: every contract test uses its own event types and groups.
const broker = new MemoryBroker();
busContractSuite('memory', ({ retry }) => new MemoryBus({ broker, retry }));

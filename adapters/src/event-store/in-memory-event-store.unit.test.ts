// The EventStore contract on the in-memory store: the reference behaviour, with no server.
import { eventStoreContract } from '../testing/index.ts';
import { InMemoryEventStore } from './in-memory-event-store.ts';

eventStoreContract('in memory', async () => new InMemoryEventStore());

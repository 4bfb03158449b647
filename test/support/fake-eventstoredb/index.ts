/**
 * A fake EventStoreDB: a gRPC server on 127.0.0.1 speaking EventStoreDB's wire protocol (the
 * service definitions generated inside @eventstore/db-client), with an in-memory log. It is a
 * test double of the server, not of our adapter: it answers as EventStoreDB does, so the
 * EventStoreDB adapter can be tested over real gRPC where no EventStoreDB can run.
 *
 * Implemented: Streams Read (stream and $all reads, subscriptions to $all and to a stream,
 * filters and checkpoints), Append, BatchAppend, Delete, Tombstone; ServerFeatures. Any other
 * service answers UNIMPLEMENTED. Not modelled: users and ACLs, links and projections, stream
 * metadata other than soft-delete truncation, scavenging, clustering.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { IStreamsServer, StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { IServerFeaturesServer, ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { SupportedMethod, SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import { TransactionLog } from './transaction-log';
import { handleRead } from './read-handler';
import { handleAppend, handleBatchAppend, handleDelete, handleTombstone } from './write-handlers';

export interface FakeEventStoreDbOptions {
  /**
   * Advertise BatchAppend in the server features, as EventStoreDB 21.10+ does; the client then
   * appends through it. false makes the client fall back to the older Append call. Default true.
   */
  batchAppend?: boolean;
}

export interface FakeEventStoreDb {
  /** e.g. esdb://127.0.0.1:41234?tls=false */
  connectionString: string;
  stop(): Promise<void>;
}

const SERVER_VERSION = '24.10.0';
const STOP_GRACE_MS = 250;

export async function startFakeEventStoreDb(options: FakeEventStoreDbOptions = {}): Promise<FakeEventStoreDb> {
  const log = new TransactionLog();
  const server = new Server();
  const streams: IStreamsServer = {
    read: (call) => handleRead(log, call),
    append: (call, callback) => handleAppend(log, call, callback),
    batchAppend: (call) => handleBatchAppend(log, call),
    delete: (call, callback) => handleDelete(log, call, callback),
    tombstone: (call, callback) => handleTombstone(log, call, callback),
  };
  server.addService(StreamsService, streams);
  const methods = ['read', 'append', 'delete', 'tombstone'];
  if (options.batchAppend ?? true) methods.push('batchappend');
  const serverFeatures: IServerFeaturesServer = {
    getSupportedMethods: (_call, callback) =>
      callback(
        null,
        supportedMethods([
          ...methods.map((method) => ['event_store.client.streams.streams', method] as const),
          ['event_store.client.server_features.serverfeatures', 'getsupportedmethods'] as const,
        ]),
      ),
  };
  server.addService(ServerFeaturesService, serverFeatures);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, boundPort) => (error ? reject(error) : resolve(boundPort))),
  );

  let stopped: Promise<void> | undefined;
  return {
    connectionString: `esdb://127.0.0.1:${port}?tls=false`,
    stop: () =>
      (stopped ??= new Promise<void>((resolve) => {
        // Open subscriptions would hold a graceful shutdown forever: cut them after a grace period.
        const force = setTimeout(() => server.forceShutdown(), STOP_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      })),
  };
}

function supportedMethods(methods: ReadonlyArray<readonly [service: string, method: string]>): SupportedMethods {
  return new SupportedMethods()
    .setEventStoreServerVersion(SERVER_VERSION)
    .setMethodsList(methods.map(([service, method]) => new SupportedMethod().setServiceName(service).setMethodName(method)));
}

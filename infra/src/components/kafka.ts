import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Admin } from '@platformatic/kafka';
import { kafkaTopicPrefixFromEnvironment } from '@bank/shared-contracts';
import type { Component, Probe } from '../component';
import { componentHost, KAFKA_SASL_DEVELOPMENT_USER, REPOSITORY_ROOT, type InfraConfig } from '../config';
import { InfraError } from '../infra-error';
import { ensureKafkaTopics } from '../kafka-topics';
import { requireBinary } from '../prerequisites';
import { runCommand } from '../process-control';

const HEAP = ['-Xms256m', '-Xmx512m'];

/** The broker's jars, fetched once from Maven Central and reused. */
export function kafkaJarsDirectory(config: InfraConfig): string {
  // The hosts topology keeps its servers' data in <BANK_DATA_DIR>/hosts; the jars are the same ones.
  const root = config.topology ? path.dirname(config.dataDir) : config.dataDir;
  return path.join(root, 'kafka-jars', config.kafkaVersion);
}

/** A single-node Apache Kafka broker in KRaft mode (broker and controller in one JVM). */
export function kafkaComponent(config: InfraConfig): Component {
  const directory = path.join(config.dataDir, 'kafka');
  const storageDirectory = path.join(directory, 'storage');
  const propertiesFile = path.join(directory, 'server.properties');
  const log4jFile = path.join(directory, 'log4j.properties');
  const clusterIdFile = path.join(directory, 'cluster-id');
  const logFile = path.join(directory, 'kafka.log');
  const jars = kafkaJarsDirectory(config);
  const completeMarker = path.join(jars, '.complete');
  const host = componentHost(config, 'kafka');
  const brokers = [`${host.address}:${config.kafkaPort}`];
  let java = '';

  const classPath = () => `${jars}/*`;

  const fetchJars = async () => {
    if (fs.existsSync(completeMarker)) return;
    const mvn = requireBinary({ component: 'kafka', executable: 'mvn', debianPackage: 'maven' });
    const staging = `${jars}.partial`;
    fs.rmSync(staging, { recursive: true, force: true });
    console.log(`[kafka] fetching Kafka ${config.kafkaVersion} jars from Maven Central (once; cached in ${jars})`);
    const args = [
      '-B',
      '-q',
      '-f',
      path.join(REPOSITORY_ROOT, 'infra', 'kafka', 'pom.xml'),
      `-Dkafka.version=${config.kafkaVersion}`,
      ...(config.mavenRepository ? [`-Dmaven.repo.local=${config.mavenRepository}`] : []),
      'dependency:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${staging}`,
    ];
    const result = await runCommand(mvn, args, { logFile });
    if (result.status !== 0 || !fs.existsSync(path.join(staging, `kafka_2.13-${config.kafkaVersion}.jar`))) {
      throw new InfraError(
        'INFRA_PREPARE_FAILED',
        'kafka',
        `fetching Kafka ${config.kafkaVersion} from Maven Central failed (mvn exit ${result.status})`,
        logFile,
      );
    }
    fs.rmSync(jars, { recursive: true, force: true });
    fs.renameSync(staging, jars);
    fs.writeFileSync(completeMarker, new Date().toISOString());
  };

  const writeConfiguration = () => {
    const properties = [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@${host.address}:${config.kafkaControllerPort}`,
      `listeners=PLAINTEXT://${host.address}:${config.kafkaPort},CONTROLLER://${host.address}:${config.kafkaControllerPort},SASL_PLAINTEXT://${host.address}:${config.kafkaSaslPort}`,
      `advertised.listeners=PLAINTEXT://${host.address}:${config.kafkaPort},SASL_PLAINTEXT://${host.address}:${config.kafkaSaslPort}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
      // A SASL/PLAIN listener beside the plaintext one, so the clients' SASL settings (KAFKA_SASL_*,
      // what a managed Kafka needs) are exercised against a real broker: one development user.
      'sasl.enabled.mechanisms=PLAIN',
      `listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_${KAFKA_SASL_DEVELOPMENT_USER.username}="${KAFKA_SASL_DEVELOPMENT_USER.password}";`,
      `log.dirs=${storageDirectory}`,
      // Topics are created explicitly with their partition counts; a typo must not create one.
      'auto.create.topics.enable=false',
      'num.partitions=1',
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=6',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'log.retention.hours=720',
      'num.network.threads=2',
      'num.io.threads=2',
    ];
    fs.writeFileSync(propertiesFile, `${properties.join('\n')}\n`);
    fs.writeFileSync(
      log4jFile,
      [
        'log4j.rootLogger=INFO, stdout',
        'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
        'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
        'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
        'log4j.logger.kafka.request.logger=WARN',
        'log4j.logger.state.change.logger=WARN',
        'log4j.logger.kafka.log.LogCleaner=WARN',
        '',
      ].join('\n'),
    );
  };

  // No retries: a probe is itself retried by the lifecycle until the start timeout.
  const admin = () => new Admin({ clientId: 'bank-infra', bootstrapBrokers: brokers, connectTimeout: 1_000, timeout: 5_000, retries: 0 });

  return {
    name: 'kafka',
    description: `Apache Kafka ${config.kafkaVersion} broker (KRaft, single node)`,
    endpoint: brokers.join(','),
    ports: [config.kafkaPort, config.kafkaControllerPort, config.kafkaSaslPort],
    ...(host.netns ? { netns: host.netns } : {}),
    directory,
    logFile,
    startTimeoutMs: 90_000,

    ensureInstalled() {
      java = requireBinary({ component: 'kafka', executable: 'java', debianPackage: 'openjdk-17-jre-headless' });
    },

    async prepare() {
      fs.mkdirSync(directory, { recursive: true });
      await fetchJars();
      writeConfiguration();
      if (fs.existsSync(path.join(storageDirectory, 'meta.properties'))) return;
      if (!fs.existsSync(clusterIdFile)) fs.writeFileSync(clusterIdFile, randomBytes(16).toString('base64url'));
      const clusterId = fs.readFileSync(clusterIdFile, 'utf8').trim();
      // `--cluster-id=<id>`, one argument: an id is base64url, and one in 64 begins with '-', which
      // the tool's parser would take for an option after a separate `-t`.
      const result = await runCommand(
        java,
        [
          ...HEAP,
          '-cp',
          classPath(),
          `-Dlog4j.configuration=file:${log4jFile}`,
          'kafka.tools.StorageTool',
          'format',
          `--cluster-id=${clusterId}`,
          '-c',
          propertiesFile,
        ],
        { logFile },
      );
      if (result.status !== 0) throw new InfraError('INFRA_PREPARE_FAILED', 'kafka', `formatting KRaft storage failed (exit ${result.status})`, logFile);
    },

    launchSpec() {
      writeConfiguration();
      return {
        command: java,
        args: [
          ...HEAP,
          '-XX:+UseG1GC',
          '-XX:MaxGCPauseMillis=20',
          '-Djava.awt.headless=true',
          `-Dlog4j.configuration=file:${log4jFile}`,
          `-Dkafka.logs.dir=${directory}`,
          '-cp',
          classPath(),
          'kafka.Kafka',
          propertiesFile,
        ],
        cwd: directory,
        logFile,
      };
    },

    async probe(timeoutMs: number): Promise<Probe> {
      const client = admin();
      const timer = new Promise<Probe>((resolve) =>
        setTimeout(() => resolve({ healthy: false, reason: `no metadata within ${timeoutMs} ms` }), timeoutMs).unref(),
      );
      const check = (async (): Promise<Probe> => {
        const cluster = await client.metadata({ topics: [], forceUpdate: true });
        return cluster.brokers.size > 0 && cluster.controllerId >= 0 ? { healthy: true } : { healthy: false, reason: 'no active controller yet' };
      })().catch((error: Error): Probe => ({ healthy: false, reason: error.message }));
      try {
        return await Promise.race([check, timer]);
      } finally {
        void client.close().catch(() => undefined);
      }
    },

    async provision() {
      await ensureKafkaTopics(brokers, '');
      // A test run that restarts the broker keeps its own topics too (KAFKA_TOPIC_PREFIX).
      const prefix = kafkaTopicPrefixFromEnvironment(process.env);
      if (prefix !== '') await ensureKafkaTopics(brokers, prefix);
    },
  };
}

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadInfraConfig } from '../src/config';
import { kafkaComponent, kafkaJarsDirectory } from '../src/components/kafka';

// A KRaft cluster id is 16 random bytes in base64url, so one in 64 begins with '-'. Passed as
// `-t <id>`, the storage tool read such an id as an option and refused to format; the id was
// already kept in the data directory, so every later start on that directory failed the same way
// (CI lost the four chaos scenarios on the hosts topology to one unlucky draw).

describe("Kafka's storage format", () => {
  const sharedJars = kafkaJarsDirectory(loadInfraConfig());
  let dataDir: string;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kafka-format-'));
  });

  afterEach(() => {
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('formats the storage when the cluster id it keeps begins with a dash', async () => {
    const config = loadInfraConfig({ ...process.env, BANK_DATA_DIR: dataDir, BANK_TOPOLOGY: '' });
    // The jars `npm test` already fetched, not a second download.
    const jars = kafkaJarsDirectory(config);
    fs.mkdirSync(path.dirname(jars), { recursive: true });
    fs.symlinkSync(sharedJars, jars);
    const clusterId = '-AbCdEfGhIjKlMnOpQrStU';
    fs.mkdirSync(path.join(dataDir, 'kafka'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'kafka', 'cluster-id'), clusterId);

    const kafka = kafkaComponent(config);
    kafka.ensureInstalled();
    await kafka.prepare();

    const meta = fs.readFileSync(path.join(dataDir, 'kafka', 'storage', 'meta.properties'), 'utf8');
    expect(meta).toContain(`cluster.id=${clusterId}`);
  }, 60_000);
});

import { KAFKA_TOPICS, kafkaTopicName, kafkaTopicPrefixFromEnvironment } from '../src';

// KAFKA_TOPIC_PREFIX: a test run's own topics; unset, the names `npm start` uses.

test('when KAFKA_TOPIC_PREFIX is unset, then the topics are the ones npm start uses', () => {
  expect(kafkaTopicName(KAFKA_TOPICS.primaryEvents, kafkaTopicPrefixFromEnvironment({}))).toBe('primary.events');
});

test('when KAFKA_TOPIC_PREFIX is set, then it goes in front of every topic name', () => {
  expect(kafkaTopicName(KAFKA_TOPICS.primaryEvents, kafkaTopicPrefixFromEnvironment({ KAFKA_TOPIC_PREFIX: 'test-1a2b.' }))).toBe('test-1a2b.primary.events');
});

test('when KAFKA_TOPIC_PREFIX holds a character Kafka refuses in a topic name, then the error names the variable', () => {
  expect(() => kafkaTopicPrefixFromEnvironment({ KAFKA_TOPIC_PREFIX: 'my run/' })).toThrow(/KAFKA_TOPIC_PREFIX=my run\/ is not a usable topic prefix/);
  expect(() => kafkaTopicPrefixFromEnvironment({ KAFKA_TOPIC_PREFIX: 'x'.repeat(101) })).toThrow(/at most 100/);
});

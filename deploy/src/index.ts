export { deploymentApp, clusterObjects, secretObjects } from './manifests.js';
export { CALL_MAPS, callersIn, type CallMap } from './call-maps.js';
export { networkPoliciesOf, ingressPolicies, egressPolicy, calleesOf, originsOf, IDENTITY_ORIGINS, CALLER_LABEL, type Origin } from './network-policies.js';
export { environmentOf, secretsOf, acceptedIdentities, secretFormatOf, GOOGLE_CREDENTIALS, type SecretDeclaration, type SecretFormat } from './secrets.js';
export { SERVICE_NAMES, SERVICE_SPECS, servicesIn, type ServiceName, type ServiceSpec, type SettingSource } from './services.js';
export { CLUSTERS, DEFAULT_SITE_SETTINGS, siteSettingsFrom, type Cluster, type SiteSettings } from './site.js';
export { labelsOf } from './labels.js';

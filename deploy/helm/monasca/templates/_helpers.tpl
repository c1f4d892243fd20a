{{/* Name prefix of every object. */}}
{{- define "monasca.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" -}}
{{- else if contains "monasca" .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-monasca" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels; call with (dict "root" $ "component" NAME). */}}
{{- define "monasca.selectorLabels" -}}
app.kubernetes.io/name: monasca
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "monasca.labels" -}}
{{ include "monasca.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* image: and imagePullPolicy:; call with (dict "root" $ "image" VALUES.image). */}}
{{- define "monasca.image" -}}
{{- $repository := .image.repository -}}
{{- if .root.Values.imageRegistry }}{{ $repository = printf "%s/%s" .root.Values.imageRegistry $repository }}{{ end -}}
image: {{ printf "%s:%s" $repository (.image.tag | default .root.Chart.AppVersion) | quote }}
imagePullPolicy: {{ .image.pullPolicy | default .root.Values.imagePullPolicy }}
{{- end -}}

{{/* The pod's security context: the images' user monasca (42400), as in compose. */}}
{{- define "monasca.podSecurity" -}}
securityContext:
  runAsNonRoot: true
  runAsUser: 42400
  runAsGroup: 42400
  fsGroup: 42400
  seccompProfile:
    type: RuntimeDefault
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* Where a pod may run: the component's nodeSelector, when it has one.
Label values are strings: `--set x.nodeSelector.ssd=true` means "true". */}}
{{- define "monasca.nodeSelector" -}}
{{- with . }}
nodeSelector:
  {{- range $label, $value := . }}
  {{ $label | quote }}: {{ $value | toString | quote }}
  {{- end }}
{{- end }}
{{- end -}}

{{/* A container's security context: no capability and none to gain
(compose: cap_drop ALL, no-new-privileges). Call with true for the images
that render into /run/monasca and run with a read-only root. */}}
{{- define "monasca.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  runAsNonRoot: true
  runAsUser: 42400
  capabilities:
    drop: [ALL]
  readOnlyRootFilesystem: {{ . }}
{{- end -}}

{{/* The images' own health check for startup, readiness and liveness. */}}
{{- define "monasca.probes" -}}
{{- $p := .Values.probes -}}
startupProbe:
  exec: {command: [monasca-health]}
  periodSeconds: {{ $p.startupPeriodSeconds }}
  timeoutSeconds: {{ $p.timeoutSeconds }}
  failureThreshold: {{ $p.startupFailureThreshold }}
readinessProbe:
  exec: {command: [monasca-health]}
  periodSeconds: {{ $p.periodSeconds }}
  timeoutSeconds: {{ $p.timeoutSeconds }}
  failureThreshold: {{ $p.failureThreshold }}
livenessProbe:
  exec: {command: [monasca-health]}
  periodSeconds: {{ $p.livenessPeriodSeconds }}
  timeoutSeconds: {{ $p.timeoutSeconds }}
  failureThreshold: {{ $p.failureThreshold }}
{{- end -}}

{{- define "monasca.secretName" -}}
{{- .Values.secrets.existingSecret | default (printf "%s-passwords" (include "monasca.fullname" .)) -}}
{{- end -}}

{{/* One env entry read from the password Secret: (dict "root" $ "name" VAR "key" KEY). */}}
{{- define "monasca.secretEnv" -}}
- name: {{ .name }}
  valueFrom:
    secretKeyRef:
      name: {{ include "monasca.secretName" .root }}
      key: {{ .key }}
{{- end -}}

{{/* A component's env: map of extra image variables, as strings. */}}
{{- define "monasca.extraEnv" -}}
{{- range $name, $value := . }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}

{{/* Where the infrastructure is: built in or external. */}}
{{- define "monasca.kafkaUri" -}}
{{- if .Values.kafka.enabled -}}{{ include "monasca.fullname" . }}-kafka:9092
{{- else -}}{{ required "kafka.enabled=false needs kafka.external.uri (host:port of the brokers)" .Values.kafka.external.uri }}{{- end -}}
{{- end -}}

{{- define "monasca.mysqlHost" -}}
{{- if .Values.mysql.enabled -}}{{ include "monasca.fullname" . }}-mysql
{{- else -}}{{ required "mysql.enabled=false needs mysql.external.host" .Values.mysql.external.host }}{{- end -}}
{{- end -}}

{{- define "monasca.mysqlPort" -}}
{{- if .Values.mysql.enabled }}3306{{ else }}{{ .Values.mysql.external.port }}{{ end -}}
{{- end -}}

{{- define "monasca.influxHost" -}}
{{- if .Values.influxdb.enabled -}}{{ include "monasca.fullname" . }}-influxdb
{{- else -}}{{ required "influxdb.enabled=false needs influxdb.external.host" .Values.influxdb.external.host }}{{- end -}}
{{- end -}}

{{- define "monasca.influxPort" -}}
{{- if .Values.influxdb.enabled }}8086{{ else }}{{ .Values.influxdb.external.port }}{{ end -}}
{{- end -}}

{{- define "monasca.opensearchUrl" -}}
{{- if .Values.opensearch.enabled -}}http://{{ include "monasca.fullname" . }}-opensearch:9200
{{- else -}}{{ required "opensearch.enabled=false needs opensearch.external.url (e.g. http://opensearch.example:9200)" .Values.opensearch.external.url | trimSuffix "/" }}{{- end -}}
{{- end -}}

{{- define "monasca.keystoneUrl" -}}
{{- if .Values.keystone.enabled -}}http://{{ include "monasca.fullname" . }}-keystone:5000
{{- else -}}{{ required "keystone.enabled=false needs keystone.external.url" .Values.keystone.external.url | trimSuffix "/" }}{{- end -}}
{{- end -}}

{{/* Keystone as clients outside the cluster reach it: its catalog's public
identity endpoint, and where a 401 of the APIs sends them. */}}
{{- define "monasca.keystonePublicUrl" -}}
{{- if .Values.keystone.enabled -}}{{ .Values.keystone.publicUrl | default (include "monasca.keystoneUrl" .) | trimSuffix "/" }}
{{- else -}}{{ include "monasca.keystoneUrl" . }}{{- end -}}
{{- end -}}

{{- define "monasca.memcachedUri" -}}
{{- if .Values.memcached.enabled -}}{{ include "monasca.fullname" . }}-memcached:11211
{{- else -}}{{ .Values.memcached.external.uri }}{{- end -}}
{{- end -}}

{{- define "monasca.apiUrl" -}}
http://{{ include "monasca.fullname" . }}-api:8070/v2.0
{{- end -}}

{{/* A read-only root, as compose's x-read-only: tmpfs on /run/monasca and /tmp. */}}
{{- define "monasca.readOnlyMounts" -}}
- {name: run-monasca, mountPath: /run/monasca}
- {name: tmp, mountPath: /tmp}
{{- end -}}

{{- define "monasca.readOnlyVolumes" -}}
- {name: run-monasca, emptyDir: {medium: Memory}}
- {name: tmp, emptyDir: {medium: Memory}}
{{- end -}}

{{/* Data volume: a claim template when persistence is on (StatefulSets). */}}
{{- define "monasca.claimTemplate" -}}
{{- if .persistence.enabled }}
volumeClaimTemplates:
  - metadata:
      name: data
    spec:
      accessModes: [ReadWriteOnce]
      {{- with .persistence.storageClass }}
      storageClassName: {{ . | quote }}
      {{- end }}
      resources:
        requests:
          storage: {{ .persistence.size }}
{{- end }}
{{- end -}}

{{/* Refuse values that cannot work, naming the way out. */}}
{{- define "monasca.validate" -}}
{{- if lt (int .Values.kafka.replicas) 1 -}}
{{- fail "kafka.replicas must be 1 or more: the brokers, and with an external Kafka its broker count (the topics are replicated min(3, kafka.replicas) times)" -}}
{{- end -}}
{{- if and (not .Values.secrets.existingSecret) (not (and .Values.mysql.enabled .Values.influxdb.enabled .Values.keystone.enabled)) -}}
{{- fail "an external MariaDB, InfluxDB or Keystone has passwords of its own: put them in a Secret with the keys of monasca.env.example and set secrets.existingSecret" -}}
{{- end -}}
{{- end -}}

{{/* The Service of an API (api, log-api, keystone) and its optional Ingress:
(dict "root" $ "component" NAME "port" PORT "values" VALUES). */}}
{{- define "monasca.publicService" -}}
{{- $name := printf "%s-%s" (include "monasca.fullname" .root) .component -}}
apiVersion: v1
kind: Service
metadata:
  name: {{ $name }}
  labels:
    {{- include "monasca.labels" . | nindent 4 }}
spec:
  type: {{ .values.service.type }}
  selector:
    {{- include "monasca.selectorLabels" . | nindent 4 }}
  ports:
    - {name: http, port: {{ .port }}, targetPort: http}
{{- with .values.ingress }}
{{- if .enabled }}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ $name }}
  labels:
    {{- include "monasca.labels" $ | nindent 4 }}
  {{- with .annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  {{- with .className }}
  ingressClassName: {{ . }}
  {{- end }}
  {{- if .tlsSecret }}
  tls:
    - hosts: [{{ required (printf "%s ingress.tlsSecret needs ingress.host" $.component) .host | quote }}]
      secretName: {{ .tlsSecret }}
  {{- end }}
  rules:
    - {{- with .host }}
      host: {{ . | quote }}
      {{- end }}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {{ $name }}
                port: {name: http}
{{- end }}
{{- end }}
{{- end -}}

{{/* Metadata and pod spec head of a one-off Job; (dict "root" $ "component" NAME).
The name carries the revision: a Job's template cannot change, so each
upgrade runs a new one and Helm removes the old. */}}
{{- define "monasca.jobHead" -}}
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ printf "%s-%s-%d" (include "monasca.fullname" .root) .component (int .root.Release.Revision) }}
  labels:
    {{- include "monasca.labels" . | nindent 4 }}
spec:
  backoffLimit: 6
  template:
    metadata:
      labels:
        {{- include "monasca.labels" . | nindent 8 }}
    spec:
      restartPolicy: OnFailure
      {{- include "monasca.podSecurity" .root | nindent 6 }}
      {{- include "monasca.nodeSelector" .root.Values.jobs.nodeSelector | nindent 6 }}
{{- end -}}

{{/* Deployment head of a service; (dict "root" $ "component" NAME "replicas" N
"nodeSelector" MAP). */}}
{{- define "monasca.deploymentHead" -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ printf "%s-%s" (include "monasca.fullname" .root) .component }}
  labels:
    {{- include "monasca.labels" . | nindent 4 }}
spec:
  replicas: {{ .replicas }}
  selector:
    matchLabels:
      {{- include "monasca.selectorLabels" . | nindent 6 }}
  template:
    metadata:
      labels:
        {{- include "monasca.labels" . | nindent 8 }}
    spec:
      {{- include "monasca.podSecurity" .root | nindent 6 }}
      {{- include "monasca.nodeSelector" .nodeSelector | nindent 6 }}
{{- end -}}

{{/* The schema check of the services that need monasca_db's tables (compose:
depends_on mon-db-upgrade completed): an init container of the service's image. */}}
{{- define "monasca.waitForSchema" -}}
initContainers:
  - name: wait-for-schema
    {{- include "monasca.image" (dict "root" .root "image" .image) | nindent 4 }}
    {{- include "monasca.containerSecurity" false | nindent 4 }}
    command: [monasca-wait, --timeout=600]
    args:
      - {{ printf "mysql://%s:${MYSQL_PASSWORD}@%s:%s/mon?table=alarm_definition,alarm,notification_method" .user (include "monasca.mysqlHost" .root) (include "monasca.mysqlPort" .root) | quote }}
    env:
      {{- include "monasca.secretEnv" (dict "root" .root "name" "MYSQL_PASSWORD" "key" .key) | nindent 6 }}
{{- end -}}

{{- define "dermagan.labels" -}}
app.kubernetes.io/part-of: dermagan
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

{{/* The Secret holding one service's own S3 credentials (accessKey, secretKey). */}}
{{- define "dermagan.s3Secret" -}}
{{- $svc := index .root.Values.services .name | default dict -}}
{{- $svc.s3CredentialsSecret | default (printf "%s-%s" .root.Values.s3.credentialsSecretPrefix .name) -}}
{{- end -}}

{{/* DERMAGAN_S3_* from a Secret. Arguments: secret. */}}
{{- define "dermagan.s3Env" -}}
- name: DERMAGAN_S3_ACCESS_KEY
  valueFrom: { secretKeyRef: { name: {{ .secret }}, key: accessKey } }
- name: DERMAGAN_S3_SECRET_KEY
  valueFrom: { secretKeyRef: { name: {{ .secret }}, key: secretKey } }
{{- end -}}

{{/* Pod-level security and scratch volume shared by every dermagan pod. */}}
{{- define "dermagan.podSecurity" -}}
securityContext: {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}

{{- define "dermagan.containerSecurity" -}}
securityContext: {{- toYaml .Values.containerSecurityContext | nindent 2 }}
{{- end -}}

{{/* The read-only root filesystem's writable scratch space: /tmp (work folder, tsx cache). */}}
{{- define "dermagan.scratchMount" -}}
- { name: scratch, mountPath: /tmp }
{{- end -}}
{{- define "dermagan.scratchVolume" -}}
- name: scratch
  emptyDir: { sizeLimit: {{ .Values.scratchSizeLimit }} }
{{- end -}}

{{/* Prometheus scrape annotations. */}}
{{- define "dermagan.scrapeAnnotations" -}}
{{- if .Values.prometheus.scrape }}
prometheus.io/scrape: "true"
prometheus.io/port: "8080"
prometheus.io/path: /metrics
{{- end }}
{{- end -}}

{{- define "dermagan.labels" -}}
app.kubernetes.io/part-of: dermagan
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}

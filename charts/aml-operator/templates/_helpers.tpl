{{/* Names and labels shared by every template. */}}

{{- define "aml-operator.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "aml-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "aml-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aml-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "aml-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "aml-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: controller
app.kubernetes.io/part-of: aml-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{- define "aml-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "aml-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "aml-operator.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
The permissions on our kinds, Secrets and Events; a ClusterRole's or a Role's rules. Called with a
dict: "secrets" false leaves the Secrets rule out (cluster mode with rbac.tenantNamespaces, where
each tenant namespace's Role "<fullname>-secrets" grants it instead).
*/}}
{{- define "aml-operator.workRules" -}}
# Exactly what the controller does (CI holds these rules to the end-to-end tests' audit trail):
# it watches its kinds through caches (list, watch), adds and removes its finalizer (patch) and
# writes status (patch on /status).
- apiGroups: ["aml-operator.io"]
  resources: ["workspaces", "onlineendpoints", "onlinedeployments"]
  verbs: ["list", "watch", "patch"]
- apiGroups: ["aml-operator.io"]
  resources: ["workspaces/status", "onlineendpoints/status", "onlinedeployments/status"]
  verbs: ["patch"]
# The keys Secret is owned by its endpoint with blockOwnerDeletion, which the apiserver's
# OwnerReferencesPermissionEnforcement admits only with update on the owner's finalizers.
- apiGroups: ["aml-operator.io"]
  resources: ["onlineendpoints/finalizers"]
  verbs: ["update"]
{{- if .secrets }}
{{ include "aml-operator.secretsRules" . }}
{{- end }}
- apiGroups: ["events.k8s.io"]
  resources: ["events"]
  verbs: ["create", "patch"]
{{- end -}}

{{/* The per-namespace credential permissions (Secrets, ServiceAccount tokens): in the work
rules, or alone in each tenant namespace's Role. */}}
{{- define "aml-operator.secretsRules" -}}
# Referenced credential Secrets are read by name (get) and held with the
# aml-operator.io/credential-in-use finalizer while a Workspace uses them (patch), so deletion can
# still reach Azure when a namespace's Secrets go first; the endpoint key Secrets the controller
# owns are created and replaced (create/update). No list/watch: that would let the controller
# read every Secret in scope, and it needs neither.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "create", "update", "patch"]
# A Workspace's credential.workloadIdentity.serviceAccountName: the controller requests a token
# for that ServiceAccount of the Workspace's namespace (TokenRequest, audience
# api://AzureADTokenExchange) and exchanges it with Entra ID. Only create on the token
# subresource: no get, list or watch of ServiceAccounts.
- apiGroups: [""]
  resources: ["serviceaccounts/token"]
  verbs: ["create"]
{{- end -}}

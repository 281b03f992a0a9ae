// Policies for the lab tests, on the default x/y/z x a/b/c workload.

export const POLICIES: Record<string, string> = {
  'deny-all-ingress-x': `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: x}
spec: {podSelector: {}, policyTypes: [Ingress]}
`,
  'allow-y-on-named-port': `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-y-80, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress:
  - from: [{namespaceSelector: {matchLabels: {ns: y}}}]
    ports: [{port: serve-80-tcp, protocol: TCP}]
`,
  'egress-from-y-a-only-udp-81-to-z': `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: egress-y-a, namespace: y}
spec:
  podSelector: {matchLabels: {pod: a}}
  policyTypes: [Egress]
  egress:
  - to: [{namespaceSelector: {matchLabels: {ns: z}}}]
    ports: [{port: 81, protocol: UDP}]
`,
  'ingress-z-from-node-1-pods-except-one': `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: ipblock, namespace: z}
spec:
  podSelector: {}
  ingress:
  - from: [{ipBlock: {cidr: 10.244.1.0/24, except: [10.244.1.2/32]}}]
`,
};

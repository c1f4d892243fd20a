# Cluster DNS: the CoreDNS binary (scripts/k8s-tools), nothing else.
FROM scratch
COPY coredns /coredns
USER 65534:65534
ENTRYPOINT ["/coredns"]

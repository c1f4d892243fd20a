# The pod sandbox image: the static pause program (scripts/k8s-tools).
FROM scratch
COPY pause /pause
USER 65535:65535
ENTRYPOINT ["/pause"]

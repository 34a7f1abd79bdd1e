FROM python:3.11-slim
WORKDIR /app
# torch first, the same pinned CPU build scripts/setup.sh installs (2.13.0+cpu), from PyTorch's CPU
# wheel index: a plain `pip install .` would pull the default CUDA-sized wheels (several GB).
ARG TORCH_VERSION=2.13.0
RUN pip install --no-cache-dir --index-url https://download.pytorch.org/whl/cpu "torch==${TORCH_VERSION}"
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY nlu ./nlu
COPY flows ./flows
COPY knowledge ./knowledge
COPY modelbuild ./modelbuild
# The constraint keeps the resolver from replacing the CPU torch above with another build.
RUN echo "torch==${TORCH_VERSION}" > /tmp/torch.txt \
    && pip install --no-cache-dir --constraint /tmp/torch.txt . \
    && python -c "import torch; assert torch.__version__.endswith('+cpu'), torch.__version__"
ENV SUARA_HOST=0.0.0.0 SUARA_WORKERS=1
EXPOSE 8080
# SUARA_WORKERS > 1 needs PostgreSQL (see README, "Serving with several workers").
CMD ["sh", "-c", "exec suara serve --workers \"${SUARA_WORKERS}\""]

FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY nlu ./nlu
COPY flows ./flows
COPY knowledge ./knowledge
RUN pip install --no-cache-dir .
ENV SUARA_HOST=0.0.0.0
EXPOSE 8080
CMD ["suara", "serve"]

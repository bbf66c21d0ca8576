checkpoint.safetensors
config.ini
gen.safetensors
metrics.jsonl
samples

# Entry points; the scripts do the work (see README.md).
.PHONY: bench test serve

bench:
	bash scripts/bench.sh --build

test:
	bash scripts/test.sh

serve:
	bash scripts/serve.sh

# Sourced by the scripts: puts the pinned tools first on PATH.
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# trunk's update check calls a registry API these machines cannot reach.
export TRUNK_SKIP_VERSION_CHECK=true

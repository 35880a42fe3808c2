"""Sightline's Python client: talk to the local daemon (``sightline serve``) from pipelines and
notebooks — predict, log predictions made elsewhere, log labels. Standard library only.

    from sightline import Client, SightlineError
    client = Client()                      # port and token from $SIGHTLINE_HOME/daemon.json
    res = client.predict("flights-delay", records, join_keys=ids)
    client.label(join_key=ids[0], value=1)

Lineage of pipeline steps (see ``sightline.lineage``):

    @sightline.component_run("features", inputs=["clean.csv"], outputs=["features.csv"])
    def build_features(): ...

    with sightline.run("train", params={"C": 1.0}) as r:
        r.input("features.csv"); r.output("model.onnx", kind="model"); r.metric("auc", 0.81)
"""

from .client import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_TIMEOUT,
    Client,
    Prediction,
    PredictResponse,
    chunked,
    check_records,
    daemon_info_path,
    read_daemon_info,
    sightline_home,
)
from .errors import SightlineError
from .lineage import (
    DEFAULT_LINEAGE_TIMEOUT,
    Run,
    component_run,
    current_run,
    git_state,
    hash_file,
    hash_value,
    run,
    spool_dir,
)

__version__ = "0.1.0"

__all__ = [
    "Client",
    "DEFAULT_LINEAGE_TIMEOUT",
    "Run",
    "component_run",
    "current_run",
    "git_state",
    "hash_file",
    "hash_value",
    "run",
    "spool_dir",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_TIMEOUT",
    "Prediction",
    "PredictResponse",
    "SightlineError",
    "__version__",
    "check_records",
    "chunked",
    "daemon_info_path",
    "read_daemon_info",
    "sightline_home",
]

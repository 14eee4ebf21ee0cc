"""What a training or test run leaves in its work dir: the newest test
metrics (``tools/test.py``) and the best checkpoint (``save_best``)."""
import json
from pathlib import Path
from typing import Dict, Union


def newest_test_metrics(test_dir: Union[str, Path]) -> Dict:
    """The metrics of the newest test under ``test_dir``.

    ``tools/test.py --work-dir TEST_DIR`` writes
    ``TEST_DIR/<timestamp>/<timestamp>.json``; timestamps sort by name.

    Raises:
        FileNotFoundError: No test result under ``test_dir``.
    """
    results = sorted(Path(test_dir).glob('*/*.json'))
    if not results:
        raise FileNotFoundError(
            f'no test result under {test_dir} (expected '
            '<timestamp>/<timestamp>.json from tools/test.py --work-dir '
            f'{test_dir})')
    return json.loads(results[-1].read_text())


def best_checkpoint(work_dir: Union[str, Path]) -> Path:
    """The newest ``best_*.pth`` (mmengine's ``save_best``) in ``work_dir``.

    Raises:
        FileNotFoundError: The run saved no best checkpoint.
    """
    bests = list(Path(work_dir).glob('best_*.pth'))
    if not bests:
        raise FileNotFoundError(
            f'no best_*.pth in {work_dir}: the run saved no best checkpoint '
            '(did it validate, with save_best set?)')
    return max(bests, key=lambda path: path.stat().st_mtime)

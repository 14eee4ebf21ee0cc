"""Our analysis tools and MMAction2's shipped ones on a tiny trained MoME."""
import numpy as np
import pickle
import pytest
import re

from tests.conftest import run_tool

pytestmark = pytest.mark.slow  # every test needs a training through our tools


@pytest.fixture(scope='module')
def trained_mome(main_job_run, tmp_path_factory):
    """The main job's MoME+HTL (``tools/demo.py``, one epoch on the test
    data; ``tests/conftest.py``): its best checkpoint, test metrics and
    ``tools/test.py --dump`` of its predictions, shared with the demo and
    determinism tests instead of a training of its own. ``work_dir`` is this
    module's own folder for the tools' outputs."""
    return dict(
        main_job_run,
        work_dir=tmp_path_factory.mktemp('analysis_tools'),
        options=main_job_run['data_options'])


def test_robustness_tool_table(trained_mome):
    out = trained_mome['work_dir'] / 'robustness'
    result = run_tool([
        'tools/analysis/robustness.py', trained_mome['config'],
        trained_mome['checkpoint'], '--work-dir', out, '--modalities', 'rgb',
        '--failures', 'drop', 'darken', '--cfg-options',
        *trained_mome['options']
    ],
                      cwd=trained_mome['work_dir'])
    rows = [
        line.strip('|').split('|')
        for line in (out / 'robustness.md').read_text().splitlines()
    ]
    header, cases = rows[0], rows[2:]
    assert [cell.strip() for cell in header] == [
        'case', 'Top-1', 'Mean-1', 'gate rgb', 'gate ir', 'gate depth'
    ]
    assert [row[0].strip()
            for row in cases] == ['clean', 'rgb drop', 'rgb darken']
    clean = cases[0]
    assert float(clean[1]) == pytest.approx(
        100 * trained_mome['metrics']['acc/top1'], abs=0.01)
    for row in cases:
        assert sum(float(cell) for cell in row[3:]) == pytest.approx(
            1, abs=0.002)
    assert 'rgb drop' in result.stdout
    assert (out / 'robustness.csv').is_file()


def test_gate_report_from_dump(trained_mome):
    out = trained_mome['work_dir'] / 'gate_report'
    run_tool([
        'tools/analysis/gate_report.py', trained_mome['config'],
        trained_mome['dump'], '--out', out
    ],
             cwd=trained_mome['work_dir'])
    for name in ('gate_weights_per_class.csv', 'gate_weights_per_class.md',
                 'gate_weights_per_class.png', 'confusion_matrix.csv',
                 'confusion_matrix.png'):
        assert (out / name).stat().st_size > 0, name


def test_mmaction_confusion_matrix_on_our_dump(trained_mome):
    matrix_file = trained_mome['work_dir'] / 'confusion_matrix.pkl'
    run_tool([
        'tools/analysis/mmaction_tool.py',
        'analysis_tools/confusion_matrix.py', trained_mome['config'],
        trained_mome['dump'], '--out', matrix_file, '--show-path',
        trained_mome['work_dir'] / 'confusion_matrix_mmaction.png',
        '--cfg-options', *trained_mome['options']
    ],
             cwd=trained_mome['work_dir'])
    with open(matrix_file, 'rb') as stream:
        matrix = np.asarray(pickle.load(stream))
    with open(trained_mome['dump'], 'rb') as stream:
        predictions = pickle.load(stream)
    assert matrix.sum() == len(predictions)
    assert np.trace(matrix) / matrix.sum() == pytest.approx(
        trained_mome['metrics']['acc/top1'])


def test_mmaction_report_accuracy_on_our_dump(trained_mome):
    result = run_tool([
        'tools/analysis/mmaction_tool.py', 'analysis_tools/report_accuracy.py',
        '--preds', trained_mome['dump'], '--coefficients', '1'
    ],
                      cwd=trained_mome['work_dir'])
    top1 = float(re.search(r'Top 1 Accuracy: ([\d.]+)', result.stdout)[1])
    mean1 = float(
        re.search(r'Mean Class Accuracy: ([\d.]+)', result.stdout)[1])
    assert top1 == pytest.approx(trained_mome['metrics']['acc/top1'], abs=1e-4)
    assert mean1 == pytest.approx(
        trained_mome['metrics']['acc/mean1'], abs=1e-4)


def test_demo_trains_tests_and_reports(main_job_run):
    """tools/demo.py (the README's main job after installing), cut to one
    epoch on the test data: it prints the figures and writes the report."""
    work_dir = main_job_run['work_dir']
    stdout = main_job_run['stdout']
    assert re.search(r'\[demo\] Top-1 [\d.]+  Mean-1 [\d.]+', stdout)
    weights = [
        float(weight) for weight in re.findall(
            r'\[demo\] mean gate weight (?:rgb|ir|depth): ([\d.]+)', stdout)
    ]
    assert len(weights) == 3 and sum(weights) == pytest.approx(1, abs=0.002)
    assert (work_dir / 'test' / 'predictions.pkl').is_file()
    assert (work_dir / 'gate_report' / 'gate_weights_per_class.png').is_file()
    # The gate weights per sensing condition of the synthetic data.
    table = stdout.split('[demo] per sensing condition (test split):')[1]
    assert re.search(r'\| clean +\| \d+ +\| [\d.]+ +\| [\d.]+ ', table)
    assert re.search(r'\| kinect_\w+:(dark|noise) +\| \d+', table)
    # the training-health monitor's verdict, from its health.json
    assert (work_dir / 'health.json').is_file()
    assert re.search(r'\[demo\] MoE health: ', stdout)
    # evaluation shows a progress bar: whole lines in a pipe, every 10%
    assert re.search(r'\[eval\] \d+/\d+ \(\d+%\), [\d.]+ task/s', stdout)
    assert '\r' not in stdout


def test_gate_ablation_tool_learned_gate_is_the_test_top1(trained_mome):
    """tools/analysis/gate_ablation.py: its learned-gate column is the
    model's own test Top-1 (the same experts, gate and classifier); on the
    synthetic data it adds the gate that knows which cameras fail."""
    result = run_tool([
        'tools/analysis/gate_ablation.py', trained_mome['config'],
        trained_mome['checkpoint'], '--work-dir', trained_mome['work_dir'] /
        'gate_ablation', '--cfg-options', *trained_mome['options']
    ],
                      cwd=trained_mome['work_dir'])
    header, _, values = result.stdout.strip().splitlines()[-3:]
    assert header == (
        '| learned gate | uniform | working cameras | '
        'learned gate, probabilities | uniform, probabilities '
        '| rgb alone | ir alone | depth alone | some expert right |')
    top1 = [float(value) for value in values.strip('| ').split(' | ')]
    assert top1[0] == pytest.approx(
        100 * trained_mome['metrics']['acc/top1'], abs=0.01)
    assert all(0 <= value <= 100 for value in top1)


def test_gate_ablation_tool_on_the_training_set(trained_mome):
    """--split train scores the training set (its own ``indices`` kept)
    through the test pipeline: the training loader's 16 clips, not the
    test set's."""
    result = run_tool([
        'tools/analysis/gate_ablation.py', trained_mome['config'],
        trained_mome['checkpoint'], '--split', 'train', '--work-dir',
        trained_mome['work_dir'] / 'gate_ablation_train', '--cfg-options',
        *trained_mome['options'], 'train_dataloader.dataset.indices=16'
    ],
                      cwd=trained_mome['work_dir'])
    title = result.stdout.strip().splitlines()[-4]
    assert title.endswith(', train split, 16 clips, Top-1 (%):')

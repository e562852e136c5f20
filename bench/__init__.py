"""Speed benchmarks, each printing ratios side by side in one run (no test asserts a time):

    python -m bench.probe     # probe() against PyTorch's fused forward+backward, every cell
    python -m bench.monitor   # a training loop with and without models.monitor.GradientFlowMonitor
    python -m bench.sweep     # models.sweep on one process, a local pool and a Dask cluster
    python -m bench.train     # the Train tab's presets: what they learn, and the snapshots' overhead
"""

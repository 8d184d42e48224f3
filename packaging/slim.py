"""What the VoxStudio bundle leaves out, and why (used by voxstudio.spec).

The stock PyInstaller hooks collect far more than VoxStudio runs: all of VTK
(pyvista imports ~50 of VTK's ~200 modules), torch's C++ test binaries and
headers, Qt's QML/Quick stack, matplotlib's GUI backends. Everything here is
a plain list or a pure function so ``tests/test_packaging.py`` can check the
rules without building.
"""

from __future__ import annotations

import fnmatch
import importlib.util
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

PACKAGING_DIR = Path(__file__).resolve().parent

# Weight files the release must ship (engine.VoxelEngine.load reads these).
REQUIRED_WEIGHTS = ("gan.safetensors", "gan.json", "capsnet.safetensors", "capsnet.json")

# Imported lazily (by name) at run time, so the module graph cannot see them.
HIDDEN_IMPORTS = [
    "voxstudio.gui.app",
    "voxstudio.selftest",
    "vtkmodules.qt.QVTKRenderWindowInteractor",
]

# Python packages never used by the app (dev tools, other GUI toolkits, unused Qt).
EXCLUDED_PACKAGES = [
    # Tests and interactive tools
    "pytest", "_pytest", "pytestqt", "pytest_benchmark", "hypothesis", "IPython",
    "jedi", "parso", "ipykernel", "notebook", "jupyter_client", "sphinx", "docutils",
    "setuptools", "pkg_resources", "pip",
    # Type checkers / linters of the dev install. pyvista imports mypy whenever
    # importlib finds it (pyvista/typing/mypy_plugin.py); bundled without its mypyc
    # helper module, `import pyvista` then failed and the bundled GUI could not start.
    "mypy", "mypyc", "importlinter", "grimp", "ruff",
    # Optional extras of requests/urllib3/networkx the app never reaches
    "cryptography", "OpenSSL", "pandas",
    # Other GUI toolkits
    "tkinter", "_tkinter", "wx", "gi", "PyQt5", "PyQt6", "PySide2",
    # matplotlib is imported by pyvista (colormaps) but only its Agg side is used
    "matplotlib.backends.backend_tkagg", "matplotlib.backends.backend_tkcairo",
    "matplotlib.backends._backend_tk", "matplotlib.backends.backend_gtk3",
    "matplotlib.backends.backend_gtk3agg", "matplotlib.backends.backend_gtk3cairo",
    "matplotlib.backends.backend_gtk4", "matplotlib.backends.backend_gtk4agg",
    "matplotlib.backends.backend_gtk4cairo", "matplotlib.backends.backend_wx",
    "matplotlib.backends.backend_wxagg", "matplotlib.backends.backend_wxcairo",
    "matplotlib.backends.backend_qt", "matplotlib.backends.backend_qtagg",
    "matplotlib.backends.backend_qtcairo", "matplotlib.backends.backend_qt5",
    "matplotlib.backends.backend_qt5agg", "matplotlib.backends.backend_qt5cairo",
    "matplotlib.backends.backend_webagg", "matplotlib.backends.backend_webagg_core",
    "matplotlib.backends.backend_nbagg", "matplotlib.backends.backend_macosx",
    "matplotlib.tests", "mpl_toolkits.mplot3d.tests",
    # Qt modules the app does not use (PySide6-Essentials and Addons)
    *(
        f"PySide6.{name}"
        for name in (
            "QtQml", "QtQuick", "QtQuickWidgets", "QtQuickControls2", "QtQuickTest",
            "QtQuick3D", "QtQmlFeatures", "QtLabsStyleKit", "QtNetwork", "QtNetworkAuth",
            "QtSql", "QtTest", "QtDesigner", "QtHelp", "QtUiTools", "QtDBus", "QtXml",
            "QtConcurrent", "QtPrintSupport", "QtWebEngineCore", "QtWebEngineWidgets",
            "QtWebEngineQuick", "QtWebChannel", "QtWebSockets", "QtWebView", "QtHttpServer",
            "Qt3DCore", "Qt3DRender", "Qt3DInput", "Qt3DLogic", "Qt3DExtras", "Qt3DAnimation",
            "QtMultimedia", "QtMultimediaWidgets", "QtSpatialAudio", "QtTextToSpeech",
            "QtCharts", "QtDataVisualization", "QtGraphs", "QtGraphsWidgets", "QtPdf",
            "QtPdfWidgets", "QtBluetooth", "QtNfc", "QtPositioning", "QtLocation",
            "QtSensors", "QtSerialPort", "QtSerialBus", "QtRemoteObjects", "QtScxml",
            "QtStateMachine", "QtAxContainer",
        )
    ),
    # torch's Python code all stays: an optimizer step (engine.invert) imports
    # torch._dynamo, which pulls sympy, torch.testing._internal and parts of
    # torch._inductor, torch.onnx and torch.distributed.
    "torch.utils.tensorboard", "tensorboard", "triton", "torchvision", "torchaudio",
    # VTK Python front-ends for other toolkits and VTK's web server
    "vtkmodules.tk", "vtkmodules.gtk", "vtkmodules.wx", "vtkmodules.web", "vtkmodules.test",
    "vtkmodules.all", "vtk", "pyvista.trame", "trame", "trame_vtk",
    "pyvista.examples",
]

# VTK extension modules the app imports although the probe run may not reach them:
# pyvista filters / readers the GUI may call (pyvista imports these lazily).
EXTRA_VTK_MODULES = {
    "vtkCommonComputationalGeometry",
    "vtkFiltersExtraction",
    "vtkFiltersGeometry",
    "vtkFiltersHybrid",
    "vtkFiltersModeling",
    "vtkFiltersPoints",
    "vtkFiltersTexture",
    "vtkImagingGeneral",
    "vtkImagingHybrid",
    "vtkIOGeometry",
    "vtkIOLegacy",
    "vtkIOPLY",
    "vtkIOXML",
    "vtkRenderingLOD",
}

# Files of the collected packages that are never loaded at run time
# (fnmatch patterns on the bundle-relative destination path, '/' separated).
DROPPED_FILES = {
    "binaries": [
        "torch/bin/*",  # protoc, C++ test programs
        "torch/test/*",  # C++ unit-test executables
        "torch/lib/libjitbackend_test.so*",
        "torch/lib/libtorchbind_test.so*",
        "torch/lib/libbackend_with_compiler.so*",
        "torch/lib/libaoti_custom_ops.so*",
        "*.a",
        "*.lib",
        # VTK-m / Viskores accelerators: not imported by pyvista
        "vtkmodules/libviskores*",
        "vtkmodules/libvtkAcceleratorsVTKm*",
        # Qt plugins for features the app does not use; the wayland plugins are
        # dropped on purpose: VTK's render window needs X11 (XWayland works)
        "PySide6/Qt/plugins/imageformats/libqpdf.so",
        "PySide6/Qt/plugins/wayland-*/*",
        "PySide6/Qt/plugins/platforms/libqwayland*.so",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
        "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/platforms/libqminimalegl.so",
        "PySide6/Qt/plugins/generic/libqtuiotouchplugin.so",  # TUIO touch over the network
        "PySide6/Qt/plugins/egldeviceintegrations/*",
        "PySide6/Qt/plugins/networkinformation/*",
        "PySide6/Qt/plugins/tls/*",
        "PySide6/Qt/plugins/qmltooling/*",
        "PySide6/Qt/plugins/sqldrivers/*",
        "PySide6/Qt/plugins/designer/*",
        "PySide6/Qt/lib/libQt6Pdf.so*",
        "PySide6/Qt/lib/libQt6Quick*.so*",
        "PySide6/Qt/lib/libQt6Qml*.so*",
        "PySide6/Qt/lib/libQt6WaylandClient.so*",
        "PySide6/Qt/lib/libQt6WlShellIntegration.so*",
        "PySide6/Qt/lib/libQt6Network.so*",
        "PySide6/Qt/lib/libQt6EglFS*.so*",
        "PySide6/Qt/lib/libQt6EglFsKmsSupport.so*",
    ],
    "datas": [
        "torch/include/*",
        "torch/test/*",
        "torch/bin/*",
        "torch/share/cmake/*",
        "torch/utils/model_dump/*",
        "*.pyi",
        "*.h",
        "*.hpp",
        "*.cuh",
        "*.cmake",
        "*/__pycache__/*",
        "matplotlib/mpl-data/sample_data/*",
        "matplotlib/mpl-data/images/*",
        "PySide6/Qt/qml/*",
        "PySide6/Qt/translations/qtwebengine*",
        "PySide6/Qt/translations/designer*",
        "PySide6/Qt/translations/assistant*",
        "PySide6/Qt/translations/linguist*",
        "PySide6/Qt/translations/qt_help*",
        "scipy/*/tests/*",
        "skimage/data/*",
        "skimage/*/tests/*",
        "trimesh/resources/templates/*",
    ],
}


# Shared libraries whose symbol tables are stripped (Linux): ~30% of their size
# (libtorch_cpu 434 -> 345 MB, libvtkCommonCore 98 -> 62 MB). Only these: the
# libraries that auditwheel/patchelf rewrote (numpy.libs, scipy.libs, pillow.libs,
# Qt) fail to load once stripped ("ELF load command address/offset not page-aligned").
STRIPPED_BINARIES = [
    "torch/lib/libtorch_cpu.so",
    "torch/lib/libtorch_python.so",
    "torch/lib/libc10.so",
    "torch/lib/libshm.so",
    "vtkmodules/libvtk*.so",
    "vtkmodules/vtk*.so",
]


# Exceptions to DROPPED_FILES: ``import torch`` checks that its shared-memory
# manager exists.
KEPT_FILES = ["torch/bin/torch_shm_manager"]


def missing_weights(weights: Path) -> list[str]:
    """Required weight files absent from ``weights`` (empty when the release is complete)."""
    return [name for name in REQUIRED_WEIGHTS if not (weights / name).is_file()]


def is_junk(path: Path) -> bool:
    """Editor / cache files that must not be shipped with the data folders."""
    return "__pycache__" in path.parts or path.name.startswith(".") or path.suffix in {".pyc", ".pt.tmp"}


def installed_vtk_modules() -> set[str]:
    """Names of the VTK extension modules installed (``vtkmodules.vtk*`` C extensions)."""
    spec = importlib.util.find_spec("vtkmodules")
    if spec is None or not spec.submodule_search_locations:
        return set()
    names: set[str] = set()
    for folder in spec.submodule_search_locations:
        for entry in os.listdir(folder):
            stem = entry.split(".", 1)[0]
            if stem.startswith("vtk") and entry.endswith((".so", ".pyd")):
                names.add(stem)
    return names


def used_vtk_modules(listing: Path = PACKAGING_DIR / "vtk_modules.txt") -> set[str]:
    """VTK modules the app imports: the recorded probe run plus EXTRA_VTK_MODULES."""
    recorded = {
        line.strip()
        for line in listing.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    }
    return recorded | EXTRA_VTK_MODULES


def hidden_imports() -> list[str]:
    """Modules to force into the bundle: HIDDEN_IMPORTS plus every used VTK module.

    pyvista reaches most VTK modules through ``importlib.import_module`` in a
    module ``__getattr__`` (pyvista/_vtk.py), invisible to PyInstaller's analysis.
    """
    vtk = sorted(used_vtk_modules() & installed_vtk_modules())
    return [*HIDDEN_IMPORTS, *(f"vtkmodules.{name}" for name in vtk)]


def excluded_modules() -> list[str]:
    """Every module name to pass to ``Analysis(excludes=...)``."""
    unused_vtk = sorted(installed_vtk_modules() - used_vtk_modules())
    return [*EXCLUDED_PACKAGES, *(f"vtkmodules.{name}" for name in unused_vtk)]


def is_dropped(dest_name: str, kind: str) -> bool:
    """Whether a collected file (bundle-relative path) matches a DROPPED_FILES rule."""
    posix = PurePosixPath(dest_name.replace("\\", "/")).as_posix()
    if any(fnmatch.fnmatchcase(posix, pattern) for pattern in KEPT_FILES):
        return False
    return any(fnmatch.fnmatchcase(posix, pattern) for pattern in DROPPED_FILES[kind])


def slim_tocs(
    binaries: Iterable[tuple[str, str, str]], datas: Iterable[tuple[str, str, str]]
) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """Drop the entries of an Analysis' TOCs (dest, src, typecode) matching the rules.

    Returns the new ``(binaries, datas)``. PyInstaller files the links it makes to
    shared libraries (typecode ``SYMLINK``, src = link target inside the bundle)
    under ``datas``; they are dropped with their target so no dangling link is
    left. Prints how much was dropped so build logs show what slimming saved.
    """
    tocs = {"binaries": list(binaries), "datas": list(datas)}
    dropped = {dest for kind, toc in tocs.items() for dest, _src, _type in toc if is_dropped(dest, kind)}
    dropped_bytes = 0
    result: dict[str, list[tuple[str, str, str]]] = {}
    for kind, toc in tocs.items():
        result[kind] = []
        for dest, src, typecode in toc:
            if dest in dropped or (typecode == "SYMLINK" and src in dropped):
                if typecode != "SYMLINK" and os.path.isfile(src):
                    dropped_bytes += os.path.getsize(src)
            else:
                result[kind].append((dest, src, typecode))
    removed = sum(len(toc) for toc in tocs.values()) - sum(len(toc) for toc in result.values())
    print(f"slim: dropped {removed} collected files ({dropped_bytes / 2**20:.0f} MiB before stripping)")
    return result["binaries"], result["datas"]


def strip_binaries(binaries: Iterable[tuple[str, str, str]], cache: Path) -> list[tuple[str, str, str]]:
    """Point the STRIPPED_BINARIES entries of a TOC at stripped copies kept in ``cache``.

    A copy is re-made only when its source is newer, so rebuilds stay fast. A no-op
    where ``strip`` is missing or off Linux (macOS signatures, Windows DLLs).
    """
    strip = shutil.which("strip")
    if not sys.platform.startswith("linux") or strip is None:
        print("slim: strip not available, shared libraries are kept as they are")
        return list(binaries)
    result: list[tuple[str, str, str]] = []
    saved = 0
    for dest, src, typecode in binaries:
        posix = dest.replace("\\", "/")
        if typecode == "SYMLINK" or not any(fnmatch.fnmatchcase(posix, p) for p in STRIPPED_BINARIES):
            result.append((dest, src, typecode))
            continue
        target = cache / posix
        if not target.exists() or target.stat().st_mtime < os.path.getmtime(src):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
            subprocess.run([strip, "--strip-unneeded", str(target)], check=True)
        saved += os.path.getsize(src) - target.stat().st_size
        result.append((dest, str(target), typecode))
    print(f"slim: stripping symbols saved {saved / 2**20:.0f} MiB")
    return result

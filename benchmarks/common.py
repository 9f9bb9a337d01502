"""What every benchmark shares: the real data and its tracks, the state of the machine, and the results file.

A benchmark is run from the repository's root (`python benchmarks/NAME.py`), which puts this folder on the path.
The real data is read from $GENRE_NBDEV_DATA, else ../shared/data beside the repository; it is never copied.
"""
import json, os, sys
from pathlib import Path
import numpy as np
os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
from genre_nbdev.core import real_data
from genre_nbdev.data import find_tracks

def shared(data:str|None=None)->Path:
    "The real-data folder; the benchmark stops, saying so, where there is none."
    found = real_data(data)
    if found is None: sys.exit(f"{Path(sys.argv[0]).name}: real data not found (set $GENRE_NBDEV_DATA)")
    return found

def shared_tracks(limit:int|None=None, data:str|None=None):
    "The shared GTZAN tracks (track_id, genre, path), or `limit` of them spread evenly over the genres."
    tracks, _ = find_tracks(shared(data)/'gtzan'/'genres_original')
    return tracks.iloc[np.unique(np.linspace(0, len(tracks) - 1, limit).astype(int))] if limit else tracks

def machine()->dict:
    "The cores and the load average now: the figures depend on what else the machine is doing."
    return dict(cores=os.cpu_count(), load=round(os.getloadavg()[0], 2))

def save_json(path:str|None, **doc):
    "Write the measurements to `path` as JSON (nothing when `path` is None), and say where."
    if not path: return
    Path(path).write_text(json.dumps(doc, indent=1, default=lambda o: o.item() if hasattr(o, 'item') else str(o)) + '\n')
    print(f"written: {path}")

"""Datasets: procedural furniture generators and on-disk dataset build / load / import (Qt-free)."""

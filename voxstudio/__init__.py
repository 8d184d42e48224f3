"""VoxStudio: explore generative 3D voxel models (GAN generation, capsule-network classification, export)."""

__version__ = "0.1.0"

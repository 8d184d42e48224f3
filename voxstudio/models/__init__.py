"""Neural networks (torch, Qt-free): GAN, capsule classifier, CNN baseline, weights I/O, device choice."""

//! `leadline-compare` against real files: the golden BAGs and rasters, vectors, JSON documents
//! and manifests derived from them, each changed in one way the comparison must see (or forgive).

mod json;
mod manifests;
mod rasters;
mod support;
mod trees;
mod vectors;

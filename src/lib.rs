pub mod transport { #[derive(Clone, Debug)] pub struct CallContext; }
pub mod generated;
pub use generated::types;
#[cfg(feature = "httpmock")]
pub mod mock {
    #![allow(missing_docs, clippy::all)]
    include!(concat!(env!("OUT_DIR"), "/httpmock.rs"));
}

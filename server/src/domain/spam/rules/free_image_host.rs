//! FREE_IMAGE_HOST: the message's pictures are loaded from an anonymous free image host
//! (Imgur, ImgBB, Postimages, …). A sender with a business has its own server or its mail
//! provider's; one who sends a picture of text so filters cannot read it uploads it where
//! nobody asks for a name.

use super::super::message::MailView;
use super::super::score::RuleHit;
use super::super::urls::{url_host, within};

pub const NAME: &str = "FREE_IMAGE_HOST";
pub const POINTS: f64 = 2.0;

const HOSTS: &[&str] = &[
    "imgur.com",
    "zupimages.net",
    "postimg.cc",
    "postimages.org",
    "imgbox.com",
    "imgchest.com",
    "ibb.co",
    "imgbb.com",
    "imageshack.us",
    "imageshack.com",
    "photobucket.com",
    "tinypic.com",
    "imagevenue.com",
    "freeimage.host",
    "pixhost.to",
    "prnt.sc",
    "gyazo.com",
    "imgpile.com",
    "imgtr.ee",
    "pictshare.net",
    "imagehost.cc",
    "servimg.com",
    "hostingpics.net",
    "casimages.com",
];

pub fn check(v: &MailView, hits: &mut Vec<RuleHit>) {
    let found = v
        .image_urls
        .iter()
        .filter_map(|src| url_host(src))
        .find(|host| HOSTS.iter().any(|h| within(host, h)));
    if let Some(host) = found {
        hits.push(RuleHit::new(
            NAME,
            POINTS,
            format!("Pictures come from {host}, an anonymous free image host"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::super::hit_names;
    use super::*;

    fn html(body: &str) -> Vec<String> {
        hit_names(&format!("Content-Type: text/html\r\n\r\n{body}"), check)
    }

    #[test]
    fn an_image_from_a_free_host_is_a_hit() {
        assert_eq!(
            html("<img src=\"https://i.imgur.com/AbCd123.png\">"),
            [NAME]
        );
        assert_eq!(
            html("<IMG SRC=https://www.zupimages.net/up/23/1/x.jpg width=600>"),
            [NAME]
        );
    }

    #[test]
    fn own_images_and_links_to_image_hosts_are_fine() {
        assert!(html("<img src=\"https://cdn.shop.example/logo.png\">").is_empty());
        assert!(html("<a href=\"https://imgur.com/gallery/x\">my photos</a>").is_empty());
    }
}

document.addEventListener('click',function(e){var b=e.target.closest('.copy-link');if(b&&navigator.clipboard){navigator.clipboard.writeText(b.dataset.url);}});

(function(){var b=document.getElementById('go-top');if(!b)return;window.addEventListener('scroll',function(){b.style.display=window.scrollY>400?'block':'none';});})();

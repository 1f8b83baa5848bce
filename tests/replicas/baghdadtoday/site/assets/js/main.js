(function(){var t=document.querySelector('.breaking');if(t){t.setAttribute('data-ready','1');}})();

(function(){var b=document.querySelector('.font-up');if(b){b.addEventListener('click',function(){var e=document.querySelector('.article__entry');e.style.fontSize='120%';});}})();
